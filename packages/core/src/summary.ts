/**
 * A job-summary builder with a byte budget. GitHub rejects a step summary over 1 MiB and, worse, some actions abort
 * the job when theirs is too big; this builder never exceeds its budget (512 KiB by default): rows that do not fit are
 * dropped and a note says how many and where to find them.
 *
 * Every cell and text argument is escaped; only `raw()` takes trusted markdown.
 */
export const DEFAULT_SUMMARY_BUDGET = 512 * 1024;

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text).byteLength;

/** Escape text for inline markdown/HTML in a summary (table cells included). */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

export class Summary {
  readonly #budget: number;
  readonly #parts: string[] = [];
  readonly #overflow: string[] = [];
  #size = 0;

  constructor(options: { budgetBytes?: number } = {}) {
    this.#budget = options.budgetBytes ?? DEFAULT_SUMMARY_BUDGET;
  }

  get isEmpty(): boolean {
    return this.#parts.length === 0 && this.#overflow.length === 0;
  }

  /** Notes on what did not fit. */
  get overflow(): readonly string[] {
    return this.#overflow;
  }

  heading(text: string, level: 1 | 2 | 3 | 4 = 2): this {
    return this.#add(`${'#'.repeat(level)} ${escapeMarkdown(text)}\n\n`, 'a heading');
  }

  paragraph(text: string): this {
    return this.#add(`${escapeMarkdown(text)}\n\n`, 'a paragraph');
  }

  /** Trusted markdown, added as is. */
  raw(markdown: string): this {
    return this.#add(markdown.endsWith('\n') ? markdown : `${markdown}\n`, 'a section');
  }

  list(items: readonly string[], what = 'items'): this {
    return this.#rows(
      '',
      items.map((item) => `- ${escapeMarkdown(item)}\n`),
      '\n',
      what,
    );
  }

  /** A table; rows that do not fit the budget are dropped and counted. */
  table(header: readonly string[], rows: readonly (readonly string[])[], what = 'rows'): this {
    const head = `| ${header.map(escapeMarkdown).join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |\n`;
    return this.#rows(
      head,
      rows.map((row) => `| ${row.map(escapeMarkdown).join(' | ')} |\n`),
      '\n',
      what,
    );
  }

  code(text: string, language = ''): this {
    const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
    return this.#add(`${fence}${language}\n${text}\n${fence}\n\n`, 'a code block');
  }

  details(title: string, markdown: string): this {
    return this.#add(`<details><summary>${escapeMarkdown(title)}</summary>\n\n${markdown}\n</details>\n\n`, 'details');
  }

  toString(): string {
    if (this.#overflow.length === 0) return this.#parts.join('');
    const notes = this.#overflow.map((note) => `> ${note}\n`).join('');
    return `${this.#parts.join('')}> [!NOTE]\n> The summary was shortened to stay under ${Math.round(this.#budget / 1024)} KiB:\n${notes}`;
  }

  /** Room kept for the overflow notes themselves. */
  #room(): number {
    return this.#budget - 1024 - this.#size;
  }

  #add(text: string, what: string): this {
    const size = bytes(text);
    if (size > this.#room()) {
      this.#overflow.push(`${what} (${size} bytes) was left out.`);
    } else {
      this.#parts.push(text);
      this.#size += size;
    }
    return this;
  }

  #rows(head: string, rows: readonly string[], tail: string, what: string): this {
    let text = head;
    let size = bytes(head) + bytes(tail);
    let kept = 0;
    for (const row of rows) {
      const rowSize = bytes(row);
      if (size + rowSize > this.#room()) break;
      text += row;
      size += rowSize;
      kept++;
    }
    if (kept > 0 || rows.length === 0) {
      this.#parts.push(text + tail);
      this.#size += size;
    }
    if (kept < rows.length) {
      this.#overflow.push(`${rows.length - kept} of ${rows.length} ${what} are not shown.`);
    }
    return this;
  }
}

function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}
