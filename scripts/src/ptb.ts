import { main, processIo } from './main.ts';

const io = processIo();
process.exitCode = await main(process.argv.slice(2), io);
io.close?.();
