import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { requirementOutline } from "../src/utils/openspec";

const REPO = path.resolve(fileURLToPath(import.meta.url), "../../../..");

describe("requirementOutline", () => {
  it("names requirements and scenarios", () => {
    const spec =
      "# demo\n\n## Purpose\nx\n\n## Requirements\n### Requirement: Fast `list`\nThe system SHALL list.\n\n#### Scenario: Many rows\n- **WHEN** asked\n- **THEN** it lists\n";
    expect(requirementOutline(spec)).toEqual([
      {
        name: "Fast `list`",
        text: "The system SHALL list.",
        scenarios: [{ name: "Many rows", content: "- **WHEN** asked\n- **THEN** it lists" }],
      },
    ]);
  });
});

/** The workspace's packages (pnpm-workspace.yaml: `dir/*` globs and plain folders). */
function workspacePackages(): string[] {
  const yaml = readFileSync(path.join(REPO, "pnpm-workspace.yaml"), "utf8");
  const globs = [...yaml.matchAll(/^\s+-\s+["']?([^"'\s]+)["']?\s*$/gm)].map((m) => m[1] ?? "");
  const dirs = globs.flatMap((g) => {
    if (!g.endsWith("/*")) return [path.join(REPO, g)];
    const parent = path.join(REPO, g.slice(0, -2));
    return readdirSync(parent).map((d) => path.join(parent, d));
  });
  return dirs.filter((dir) => existsSync(path.join(dir, "package.json")));
}

const SKIP = new Set(["node_modules", ".next", "dist", ".turbo", "results"]);
function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(abs, out);
    else if (/\.[mc]?[jt]sx?$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(abs);
  }
  return out;
}

/** Every module specifier a file names: static and dynamic imports, re-exports, require(). */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^;'"]*?\sfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1] ?? ""));
}

/** Imports of `file` (inside package `pkgDir`) that reach into another package by a relative path. */
function crossings(file: string, pkgDir: string, source: string): string[] {
  return specifiers(source).filter((s) => {
    if (!s.startsWith(".")) return false;
    const rel = path.relative(pkgDir, path.resolve(path.dirname(file), s));
    return rel.startsWith("..") || path.isAbsolute(rel);
  });
}

describe("package boundaries", () => {
  const packages = workspacePackages();

  it("the checker sees a relative import that leaves its package", () => {
    const file = path.join(REPO, "apps/server/test/x.test.ts");
    // Built from pieces, so that this file's own source does not contain the imports it describes.
    const q = JSON.stringify;
    const across = "../../../packages/api/testing/free-port";
    const src = [
      `import { freePort } from ${q(across)};`,
      `import {\n  a,\n} from ${q("../testing")};`,
      `const m = await import(${q("../../web/lib/x")});`,
    ].join("\n");
    expect(crossings(file, path.join(REPO, "apps/server"), src)).toEqual([
      across,
      "../../web/lib/x",
    ]);
  });

  it("no file imports another package's files by relative path: shared code goes through exports", () => {
    const names = packages.map((p) => path.relative(REPO, p));
    expect(names).toEqual(
      expect.arrayContaining(["apps/server", "apps/web", "bench", "packages/api"]),
    );
    const offenders: string[] = [];
    for (const pkg of packages) {
      for (const file of sourceFiles(pkg)) {
        const found = crossings(file, pkg, readFileSync(file, "utf8"));
        offenders.push(...found.map((s) => `${path.relative(REPO, file)}: ${s}`));
      }
    }
    expect(offenders).toEqual([]);
  });

  it("a package imports another workspace package only when its package.json declares it", () => {
    const offenders: string[] = [];
    for (const pkg of packages) {
      type Manifest = { name: string; dependencies?: object; devDependencies?: object };
      const manifest = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")) as Manifest;
      const deps = [
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.devDependencies ?? {}),
      ];
      const declared = new Set([manifest.name, ...deps]);
      for (const file of sourceFiles(pkg)) {
        for (const s of specifiers(readFileSync(file, "utf8"))) {
          const name = /^@specsync\/[^/]+/.exec(s)?.[0];
          if (name && !declared.has(name)) offenders.push(`${path.relative(REPO, file)}: ${s}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
