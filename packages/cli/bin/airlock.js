#!/usr/bin/env node
// Development entry point: runs the CLI from its TypeScript sources (Node 24 strips the types). The distributable,
// self-contained CLI is dist/cli/index.js.
import '../src/bin.ts';
