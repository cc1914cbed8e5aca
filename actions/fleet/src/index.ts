export * from './github-runners.ts';
export * from './kubernetes.ts';
export * from './slurm.ts';
