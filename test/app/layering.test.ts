/**
 * The use cases talk to ports only: no file in `src/app` imports an adapter (`src/slack`, `src/store`, `src/aws`,
 * `src/local`, `src/runtime`) — not a renderer, not a store type, not lazily. Imports are read with the
 * TypeScript parser, so `import type`, re-exports and `import('…')` count as much as plain imports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const APP = join(ROOT, 'src/app');
const ADAPTERS = ['slack', 'store', 'aws', 'local', 'runtime'].map((name) => join(ROOT, 'src', name));

/** Every module specifier a source text names: imports, re-exports, `import('…')` and `require('…')`. */
function specifiersOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression)) found.push(expression.text);
    } else if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      const dynamic = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const required = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((dynamic || required) && first && ts.isStringLiteralLike(first)) found.push(first.text);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal)) {
        found.push(argument.literal.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The adapter folder a relative specifier of `fileName` lands in, if any. */
function adapterOf(fileName: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(fileName), specifier);
  const adapter = ADAPTERS.find((folder) => target === folder || target.startsWith(`${folder}/`));
  return adapter ? relative(ROOT, adapter) : undefined;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** `file → specifier` for every adapter import in the given files. */
function adapterImports(files: Array<{ name: string; text: string }>): string[] {
  return files.flatMap(({ name, text }) =>
    specifiersOf(name, text)
      .filter((specifier) => adapterOf(name, specifier) !== undefined)
      .map((specifier) => `${relative(ROOT, name)} → ${specifier}`),
  );
}

describe('src/app layering', () => {
  it('imports no adapter module from any use case or port', () => {
    const files = sourceFiles(APP).map((name) => ({ name, text: readFileSync(name, 'utf8') }));
    expect(files.length).toBeGreaterThan(10);
    expect(adapterImports(files)).toEqual([]);
  });

  it.each([
    ["import { renderChange } from '../slack/render';", '../slack/render'],
    ["import type { ChangeQueries } from '../store/dynamo-change-store';", '../store/dynamo-change-store'],
    ["export type { X } from '../aws/clients';", '../aws/clients'],
    ["const m = await import('../local/runtime');", '../local/runtime'],
    ["type T = import('../runtime/worker').Wiring;", '../runtime/worker'],
    ["import x = require('../slack/app');", '../slack/app'],
  ])('catches %s', (text, specifier) => {
    const name = join(APP, 'probe.ts');
    expect(adapterImports([{ name, text }])).toEqual([`src/app/probe.ts → ${specifier}`]);
  });

  it('lets the use cases import the domain and each other', () => {
    const name = join(APP, 'probe.ts');
    const text = [
      "import type { Change } from '../domain/types';",
      "import type { SlackRef } from './ports';",
      "import { randomUUID } from 'node:crypto';",
    ].join('\n');
    expect(specifiersOf(name, text)).toHaveLength(3);
    expect(adapterImports([{ name, text }])).toEqual([]);
  });
});
