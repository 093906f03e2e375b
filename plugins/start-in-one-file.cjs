/**
 * An esbuild plugin that puts everything a function's entry imports statically — what every cold start reads — into
 * the entry file itself, keeping code splitting for what loads later.
 *
 * Why: with `splitting`, esbuild moves each module that the entry shares with some lazily loaded chunk into a chunk
 * of its own, one per set of entries reaching it. A handler with dozens of lazy paths (each job kind, the SDK's
 * credential providers) thus starts by reading 20–30 files, and each file costs a resolution, a read and a compile
 * apart from its size. Rollup keeps such modules in the entry, since the entry is always loaded before the chunks
 * it imports lazily; esbuild has no option for it, so this plugin does it after the build (written by hand: no
 * package does this for esbuild).
 *
 * How, once esbuild has written its split output:
 * 1. The entry's static closure (the entry and the chunks it imports with `import … from`, transitively) is bundled
 *    again into one file, in place of the entry. Every other chunk stays external: the merged entry still loads them
 *    with `import()` at the same paths. The merged file also exports every binding of those start chunks under a name
 *    of its own (`__start<N>_<name>`).
 * 2. Each start chunk that a lazy chunk imports is rewritten as a re-export of those bindings from the entry, so the
 *    lazy chunk gets the entry's very instances (one logger, one client, one class for `instanceof`), never a second
 *    copy. Start chunks nothing else imports are removed.
 * 3. The metafile is updated to describe the files as they now are (the entry's inputs are the merged chunks').
 *
 * The entry is evaluated in full before any lazy chunk can import it back, since nothing at the top level of the
 * start code awaits a lazy chunk (a test imports every bundle's entry and then all of its chunks).
 *
 * Only a build of exactly one entry point (given as an array) is rewritten (each function is bundled on its own); any other build is
 * left as esbuild wrote it.
 */
const fs = require('node:fs');
const path = require('node:path');

/** A relative specifier from `fromDir` to `file`, as an ES module import writes it. */
function specifier(fromDir, file) {
  const relative = path.relative(fromDir, file).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/** The metafile outputs `start` imports statically, transitively, itself included (metafile keys). */
function staticClosure(outputs, start) {
  const closure = new Set();
  const pending = [start];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (closure.has(file)) continue;
    closure.add(file);
    for (const { path: imported, kind } of outputs[file]?.imports ?? []) {
      if (kind === 'import-statement' && outputs[imported]) pending.push(imported);
    }
  }
  return closure;
}

/** The binding name under which the merged entry exports `name` of the `index`-th start chunk. */
function mergedName(index, name) {
  return `__start${index}_${name}`;
}

/**
 * Rewrites the build's output (`result.outputFiles`, in memory) and its metafile: the entry's static closure in one
 * file, the start chunks lazy chunks need turned into re-exports of it, the others removed.
 */
async function mergeStart(esbuild, options, result) {
  const outputs = result.metafile.outputs;
  const workingDir = options.absWorkingDir ?? process.cwd();
  const absolute = (key) => path.resolve(workingDir, key);
  const entryPoints = Array.isArray(options.entryPoints) ? options.entryPoints : [];
  if (entryPoints.length !== 1) return;
  const entry = typeof entryPoints[0] === 'string' ? entryPoints[0] : entryPoints[0]?.in;
  if (typeof entry !== 'string') return;
  const roots = Object.keys(outputs).filter(
    (key) =>
      outputs[key].entryPoint !== undefined &&
      absolute(outputs[key].entryPoint) === absolute(entry) &&
      !/\.map$/.test(key),
  );
  // One entry given and not found among the outputs: the build is not what this plugin was written for, and a
  // bundle left split would silently cost every cold start again.
  if (roots.length !== 1) {
    throw new Error(`start-in-one-file: no single output for the entry ${entry} (found ${roots.length})`);
  }
  const root = roots[0];
  const closure = staticClosure(outputs, root);
  if (closure.size === 1) return;
  const rootFile = absolute(root);
  const rootDir = path.dirname(rootFile);
  const inClosure = new Map([...closure].map((key) => [absolute(key), key]));

  // Always what esbuild produced in this build, never what is on disk (an earlier build's rewritten files).
  const produced = new Map(result.outputFiles.map((file) => [file.path, file]));
  const textOf = (file) => {
    const output = produced.get(file);
    if (!output) throw new Error(`start-in-one-file: ${file} is not an output of this build`);
    return output.text;
  };

  const chunks = [...closure].filter((key) => key !== root);
  const lines = [`export * from ${JSON.stringify(specifier(rootDir, rootFile))};`];
  if (outputs[root].exports.includes('default')) {
    lines.push(`export { default } from ${JSON.stringify(specifier(rootDir, rootFile))};`);
  }
  chunks.forEach((key, index) => {
    const names = outputs[key].exports;
    if (names.length === 0) return;
    const list = names.map((name) => `${name} as ${mergedName(index, name)}`).join(', ');
    lines.push(`export { ${list} } from ${JSON.stringify(specifier(rootDir, absolute(key)))};`);
  });

  const serveStart = {
    name: 'serve-start-files',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (!/^\.{0,2}\//.test(args.path)) return { path: args.path, external: true };
        const file = path.resolve(args.resolveDir, args.path);
        if (inClosure.has(file)) return { path: file, namespace: 'start' };
        return { path: specifier(rootDir, file), external: true };
      });
      build.onLoad({ filter: /.*/, namespace: 'start' }, (args) => ({
        contents: textOf(args.path),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      }));
    },
  };
  const merged = await esbuild.build({
    stdin: { contents: lines.join('\n'), resolveDir: rootDir, sourcefile: 'start.mjs', loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: options.platform,
    target: options.target,
    minifyWhitespace: options.minifyWhitespace,
    minifySyntax: options.minifySyntax,
    legalComments: options.legalComments,
    outfile: rootFile,
    metafile: true,
    logLevel: 'silent',
    plugins: [serveStart],
  });
  const mergedText = merged.outputFiles[0].text;

  // Start chunks a lazy chunk imports become re-exports of the entry; the others go.
  const importedLater = new Set(
    Object.keys(outputs)
      .filter((key) => !closure.has(key))
      .flatMap((key) => outputs[key].imports.map((entry) => entry.path)),
  );
  const replaced = new Map([[rootFile, mergedText]]);
  const removed = new Set();
  chunks.forEach((key, index) => {
    const file = absolute(key);
    if (!importedLater.has(key)) {
      removed.add(file);
      return;
    }
    const from = JSON.stringify(specifier(path.dirname(file), rootFile));
    const names = outputs[key].exports;
    replaced.set(
      file,
      names.length === 0
        ? `import ${from};\n`
        : `export { ${names.map((name) => `${mergedName(index, name)} as ${name}`).join(', ')} } from ${from};\n`,
    );
  });

  const kept = [];
  for (const file of result.outputFiles) {
    if (removed.has(file.path)) continue;
    const text = replaced.get(file.path);
    kept.push(text === undefined ? file : outputFile(file.path, text));
  }
  result.outputFiles.splice(0, result.outputFiles.length, ...kept);

  // The metafile as the files now are.
  const later = new Map();
  for (const key of closure) {
    for (const entry of outputs[key].imports) {
      if (!closure.has(entry.path)) later.set(`${entry.kind} ${entry.path}`, entry);
    }
  }
  const inputs = {};
  for (const key of closure) Object.assign(inputs, outputs[key].inputs);
  outputs[root] = {
    ...outputs[root],
    exports: Object.values(merged.metafile.outputs)[0]?.exports ?? outputs[root].exports,
    imports: [...later.values()],
    inputs,
    bytes: Buffer.byteLength(mergedText),
  };
  for (const key of chunks) {
    const file = absolute(key);
    if (removed.has(file)) {
      delete outputs[key];
      continue;
    }
    outputs[key] = {
      imports: [{ path: root, kind: 'import-statement' }],
      exports: outputs[key].exports,
      inputs: {},
      bytes: Buffer.byteLength(replaced.get(file)),
    };
  }
}

/** An esbuild output file (as `write: false` returns them) holding `text`. */
function outputFile(file, text) {
  const contents = Buffer.from(text);
  return {
    path: file,
    contents: new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength),
    hash: '',
    get text() {
      return text;
    },
  };
}

/** The plugin: see the file's comment. It asks esbuild for the metafile it needs. */
function startInOneFile() {
  return {
    name: 'start-in-one-file',
    setup(build) {
      const options = build.initialOptions;
      if (!options.splitting) return;
      options.metafile = true;
      // esbuild keeps the output in memory; the plugin writes it once rewritten (so a rebuild never reads back an
      // earlier build's rewritten files, and a failed rewrite leaves nothing half written).
      const write = options.write !== false;
      options.write = false;
      build.onEnd(async (result) => {
        if (result.errors.length > 0 || !result.metafile || !result.outputFiles) return;
        const before = new Set(result.outputFiles.map((file) => file.path));
        await mergeStart(build.esbuild, options, result);
        if (!write) return;
        const after = new Set(result.outputFiles.map((file) => file.path));
        for (const file of before) if (!after.has(file)) fs.rmSync(file, { force: true });
        for (const file of result.outputFiles) {
          fs.mkdirSync(path.dirname(file.path), { recursive: true });
          fs.writeFileSync(file.path, file.contents);
        }
        // As esbuild returns a build that wrote its files.
        delete result.outputFiles;
      });
    },
  };
}

module.exports = { startInOneFile, staticClosure };
