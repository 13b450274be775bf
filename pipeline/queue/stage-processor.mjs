// BullMQ forks sandboxed processors with the parent's execArgv. `npx meles` registers tsx inside
// bin/meles.mjs rather than through --import, so a forked child would not know TypeScript:
// register the loader here, then load the real processor.
import { register } from 'tsx/esm/api';

register();
const { default: processStageJob } = await import(new URL('./stage-processor.ts', import.meta.url).href);
export default processStageJob;
