export function lintAll(
  files: ReadonlyArray<{ path: string; text: string }>,
): Promise<{ problems: number; restarts: number; injected: Set<string> }>;
