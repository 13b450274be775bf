// See stage-processor.mjs: registers tsx so forked children can load the TypeScript processor.
import { register } from 'tsx/esm/api';

register();
const { default: processBatchEmbedJob } = await import(new URL('./batch-embed-processor.ts', import.meta.url).href);
export default processBatchEmbedJob;
