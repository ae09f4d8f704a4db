import { availableParallelism } from 'node:os';
import { AUDIT_WORKER, FAIL_ON, serveAuditWorker } from '@airlock/audit';
import { runAction } from '@airlock/core/action';
import { run } from './run.ts';

// The yaml parser reads process.env.LOG_TOKENS once per token; process.env is an accessor into the C++ environment,
// which made those reads about a third of the parse time (bench/audit). A plain copy behaves the same for this
// process (exports still land in it) and reads at object speed. This action starts no child process.
process.env = { ...process.env };

// Large audits run in worker threads that re-run this bundle: a worker only serves its chunk of files. A worker is
// told so through its env, so the main thread does not load node:worker_threads unless it starts workers.
if (process.env.AIRLOCK_AUDIT_WORKER === AUDIT_WORKER) {
  const { parentPort } = await import('node:worker_threads');
  if (parentPort !== null) serveAuditWorker(parentPort);
} else {
  await main();
}

async function main(): Promise<void> {
  const script = new URL(import.meta.url);
  // AIRLOCK_AUDIT_THREADS caps the worker threads of large audits (1 turns them off); by default up to 4, one per CPU.
  const wanted = Number.parseInt(process.env.AIRLOCK_AUDIT_THREADS ?? '', 10);
  const threads = Number.isInteger(wanted) && wanted > 0 ? wanted : Math.min(4, availableParallelism());
  await runAction({
    name: 'audit',
    inputs: (input) => {
      const config = input.string('config', { default: 'airlock.yml' });
      return {
        paths: input.list('paths'),
        config,
        configRequired: config !== 'airlock.yml',
        failOn: input.choice('fail-on', FAIL_ON),
        inventory: input.boolean('inventory', { default: false }),
        sarif: input.boolean('sarif', { default: false }),
        annotations: input.boolean('annotations', { default: true }),
        online: input.boolean('online', { default: false }),
        token: input.string('github-token', { secret: true }),
        workers:
          threads < 2
            ? undefined
            : {
                threads,
                // a larger young generation: parsing allocates many short-lived nodes
                spawn: async () => {
                  const { Worker } = await import('node:worker_threads');
                  return new Worker(script, {
                    env: { ...process.env, AIRLOCK_AUDIT_WORKER: AUDIT_WORKER },
                    resourceLimits: { maxYoungGenerationSizeMb: 48 },
                  });
                },
              },
      };
    },
    run,
  });
}
