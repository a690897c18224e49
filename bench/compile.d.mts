/** Where compiled servers go (ignored by git). */
export declare const OUT_DIR: string;
/** Compiles a benchmark server script into one file `node` runs; resolves with its path. */
export declare function compileServer(script: URL | string): Promise<string>;
