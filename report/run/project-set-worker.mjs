// `npx meles` registers tsx inside bin/meles rather than through --import, so a worker thread
// would not know TypeScript: register the loader here, then load the real worker.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./project-set-worker.ts', import.meta.url).href);
