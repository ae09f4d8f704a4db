/** Where a message points in a file; becomes an annotation on GitHub. Lines and columns are 1-based. */
export interface AnnotationProperties {
  readonly title?: string;
  readonly file?: string;
  readonly startLine?: number;
  readonly endLine?: number;
  readonly startColumn?: number;
  readonly endColumn?: number;
}

/**
 * The logger every library receives. Libraries never print directly: they get a Logger, so tests pass a
 * {@link MemoryLogger} or {@link nullLogger} and actions pass one backed by workflow commands.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  notice(message: string, properties?: AnnotationProperties): void;
  warning(message: string, properties?: AnnotationProperties): void;
  error(message: string, properties?: AnnotationProperties): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export const nullLogger: Logger = {
  debug() {},
  info() {},
  notice() {},
  warning() {},
  error() {},
  group: (_name, fn) => fn(),
};

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'group' | 'endgroup';

export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly properties?: AnnotationProperties;
}

/** Keeps every entry in order, for tests and for the CLI's JSON output. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = [];

  debug(message: string): void {
    this.entries.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.entries.push({ level: 'info', message });
  }
  notice(message: string, properties?: AnnotationProperties): void {
    this.push('notice', message, properties);
  }
  warning(message: string, properties?: AnnotationProperties): void {
    this.push('warning', message, properties);
  }
  error(message: string, properties?: AnnotationProperties): void {
    this.push('error', message, properties);
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.entries.push({ level: 'group', message: name });
    try {
      return await fn();
    } finally {
      this.entries.push({ level: 'endgroup', message: name });
    }
  }

  /** Every message at the given levels, joined by newlines: convenient for assertions. */
  text(levels: readonly LogLevel[] = ['debug', 'info', 'notice', 'warning', 'error']): string {
    return this.entries
      .filter((e) => levels.includes(e.level))
      .map((e) => e.message)
      .join('\n');
  }

  private push(level: LogLevel, message: string, properties: AnnotationProperties | undefined): void {
    this.entries.push(properties === undefined ? { level, message } : { level, message, properties });
  }
}
