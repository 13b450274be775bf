// BullMQ forks sandboxed processors with the parent's execArgv; `npx meles` registers tsx inside
// bin/meles.mjs, so register the loader here before loading the real processor (as stage-processor.mjs).
import { register } from 'tsx/esm/api';

register();
const { default: processPartitionJob } = await import(new URL('./partition-processor.ts', import.meta.url).href);
export default processPartitionJob;
