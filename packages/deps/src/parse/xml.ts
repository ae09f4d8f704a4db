/**
 * The XML a pom.xml is written in: elements (namespace prefixes dropped), attributes, text, CDATA, comments and
 * processing instructions, the five predefined entities and character references, each element with its line. A
 * DOCTYPE is refused (entity definitions are how XML bombs and external-entity reads work; a pom.xml never needs one).
 * Linear time; nesting bounded.
 */
import { quote } from '@airlock/core';
import { lockfileError } from '../model.ts';

export interface XmlElement {
  readonly name: string;
  readonly line: number;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 256;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(text: string, path: string): XmlElement {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const fail = (message: string, at = line): never => {
    throw lockfileError(path, at, message);
  };
  const advanceTo = (end: number) => {
    for (let i = pos; i < end; i++) if (text.charCodeAt(i) === 10) line++;
    pos = end;
  };
  const decode = (raw: string, at: number): string =>
    raw.includes('&')
      ? raw.replace(/&([^;&\s]*);?/g, (m, name: string) => {
          if (!m.endsWith(';')) return fail(`unterminated entity reference ${quote(m)}`, at);
          if (name.startsWith('#x')) {
            const cp = Number.parseInt(name.slice(2), 16);
            if (!/^#x[0-9a-fA-F]{1,6}$/.test(name) || cp > 0x10ffff)
              fail(`invalid character reference ${quote(m)}`, at);
            return String.fromCodePoint(cp);
          }
          if (name.startsWith('#')) {
            const cp = Number.parseInt(name.slice(1), 10);
            if (!/^#[0-9]{1,7}$/.test(name) || cp > 0x10ffff) fail(`invalid character reference ${quote(m)}`, at);
            return String.fromCodePoint(cp);
          }
          const v = ENTITIES[name];
          if (v === undefined)
            fail(`unknown entity ${quote(m)} (only the five predefined XML entities are allowed)`, at);
          return v as string;
        })
      : raw;
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(text.slice(pos, pos + 4096)) as RegExpExecArray;
      advanceTo(pos + ws[0].length);
      if (ws[0].length === 4096) continue;
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment (is the file truncated?)');
        advanceTo(end + 3);
      } else if (text.startsWith('<?', pos)) {
        const end = text.indexOf('?>', pos + 2);
        if (end < 0) fail('unterminated processing instruction (is the file truncated?)');
        advanceTo(end + 2);
      } else if (text.startsWith('<!DOCTYPE', pos) || text.startsWith('<!doctype', pos)) {
        fail('a DOCTYPE is not allowed in a pom.xml (entity definitions are refused)');
      } else return;
    }
  };
  const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

  const element = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const startLine = line;
    const m = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(pos, pos + 512));
    if (!m)
      return fail(
        `expected an element, found ${pos >= text.length ? 'the end of the file' : quote(text.slice(pos, pos + 20))}`,
      );
    const qname = m[1] as string;
    advanceTo(pos + m[0].length);
    const attributes: Record<string, string> = Object.create(null);
    for (;;) {
      const ws = /^\s*/.exec(text.slice(pos, pos + 4096)) as RegExpExecArray;
      advanceTo(pos + ws[0].length);
      if (text.startsWith('/>', pos)) {
        advanceTo(pos + 2);
        return { name: localName(qname), line: startLine, attributes, children: [], text: '' };
      }
      if (text[pos] === '>') {
        advanceTo(pos + 1);
        break;
      }
      const a = /^([A-Za-z_][\w.:-]*)\s*=\s*("[^"<]*"|'[^'<]*')/.exec(text.slice(pos, pos + 8192));
      if (!a)
        fail(
          pos >= text.length
            ? `unterminated tag <${qname}> (is the file truncated?)`
            : `malformed attribute in <${qname}>`,
        );
      const attrLine = line;
      advanceTo(pos + (a as RegExpExecArray)[0].length);
      attributes[(a as RegExpExecArray)[1] as string] = decode(
        ((a as RegExpExecArray)[2] as string).slice(1, -1),
        attrLine,
      );
    }
    const el: XmlElement = { name: localName(qname), line: startLine, attributes, children: [], text: '' };
    const texts: string[] = [];
    for (;;) {
      const lt = text.indexOf('<', pos);
      if (lt < 0) fail(`<${qname}> opened on line ${startLine} is never closed (is the file truncated?)`);
      if (lt > pos) {
        const at = line;
        texts.push(decode(text.slice(pos, lt), at));
        advanceTo(lt);
      }
      if (text.startsWith('</', pos)) {
        const c = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(pos, pos + 512));
        if (!c) fail('malformed closing tag');
        if ((c as RegExpExecArray)[1] !== qname)
          fail(`expected </${qname}> (opened on line ${startLine}), found </${(c as RegExpExecArray)[1]}>`);
        advanceTo(pos + (c as RegExpExecArray)[0].length);
        el.text = texts.join('');
        return el;
      }
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment (is the file truncated?)');
        advanceTo(end + 3);
      } else if (text.startsWith('<![CDATA[', pos)) {
        const end = text.indexOf(']]>', pos + 9);
        if (end < 0) fail('unterminated CDATA section (is the file truncated?)');
        texts.push(text.slice(pos + 9, end));
        advanceTo(end + 3);
      } else if (text.startsWith('<?', pos)) {
        const end = text.indexOf('?>', pos + 2);
        if (end < 0) fail('unterminated processing instruction');
        advanceTo(end + 2);
      } else if (text.startsWith('<!', pos)) {
        fail('a DOCTYPE or entity declaration is not allowed in a pom.xml');
      } else {
        el.children.push(element(depth + 1));
      }
    }
  };
  skipMisc();
  const root = element(0);
  skipMisc();
  if (pos < text.length)
    fail(`expected the end of the file after </${root.name}>, found ${quote(text.slice(pos, pos + 20))}`);
  return root;
}

/** The first child element with this name. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** The trimmed text of the first child element with this name. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}
