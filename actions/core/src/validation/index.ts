// What checking submissions needs, without the rest of the core (scoring, planning, JSON
// Schema export): `ptb validate` loads only this.
export * from './diagnostics.ts';
export * from './manifest.ts';
export * from './results.ts';
export * from './submissions.ts';
export * from './yaml-source.ts';
