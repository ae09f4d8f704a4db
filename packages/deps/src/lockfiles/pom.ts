/**
 * Maven: pom.xml, the versions it declares (no network resolution, so no transitive dependencies). Versions are
 * interpolated from `<properties>` and the project model (`${project.version}`, `${project.parent.version}`, …),
 * including those of local parent POMs (`<relativePath>`, by default ../pom.xml) when they can be read; a missing
 * version is taken from `<dependencyManagement>` (own or a local parent's). What cannot be resolved without the
 * network (a version managed by an imported BOM or a remote parent, a version range, an undefined property) is
 * reported as unpinned. `test` scope is dev; `<optional>true</optional>` is optional.
 */
import { quote } from '@airlock/core';
import type { LockfileResult, Scope } from '../model.ts';
import { lockfileError } from '../model.ts';
import { child, childText, parseXml, type XmlElement } from '../parse/xml.ts';
import { Collector, dirOf, joinPath, type LockfileFormat, type ParseOptions } from './common.ts';

interface Model {
  readonly path: string;
  readonly project: XmlElement;
  readonly properties: Map<string, string>;
  readonly managed: Map<string, string>;
}

const MAX_PARENTS = 10;

function readModel(path: string, text: string): XmlElement {
  const project = parseXml(text, path);
  if (project.name !== 'project')
    throw lockfileError(path, project.line, `expected <project> at the top of the POM, found <${project.name}>`);
  return project;
}

/** The project and its local parents, child first. */
function lineage(
  path: string,
  project: XmlElement,
  options: ParseOptions,
  out: Collector,
): { path: string; project: XmlElement }[] {
  const chain = [{ path, project }];
  let current = chain[0] as { path: string; project: XmlElement };
  for (let i = 0; i < MAX_PARENTS; i++) {
    const parent = child(current.project, 'parent');
    if (parent === undefined || options.readFile === undefined) break;
    const rel = childText(parent, 'relativePath') ?? '../pom.xml';
    if (rel === '') break;
    let target = joinPath(dirOf(current.path), rel);
    if (target !== undefined && !target.endsWith('.xml')) target = target === '' ? 'pom.xml' : `${target}/pom.xml`;
    const text = target === undefined ? undefined : options.readFile(target);
    if (target === undefined || text === undefined) break;
    let parentProject: XmlElement;
    try {
      parentProject = readModel(target, text);
    } catch (error) {
      out.warn(parent.line, `the parent POM ${quote(target)} could not be read: ${(error as Error).message}`);
      break;
    }
    const want = `${childText(parent, 'groupId')}:${childText(parent, 'artifactId')}`;
    const got = `${childText(parentProject, 'groupId') ?? childText(child(parentProject, 'parent'), 'groupId')}:${childText(parentProject, 'artifactId')}`;
    if (want !== got) break; // relativePath points at another project: Maven would fetch the parent instead
    current = { path: target, project: parentProject };
    chain.push(current);
  }
  return chain;
}

function buildModel(chain: { path: string; project: XmlElement }[]): Model {
  const properties = new Map<string, string>();
  const managed = new Map<string, string>();
  // Parents first, so the child overrides.
  for (const { project } of [...chain].reverse()) {
    const parent = child(project, 'parent');
    const set = (k: string, v: string | undefined) => {
      if (v !== undefined) properties.set(k, v);
    };
    const groupId = childText(project, 'groupId') ?? childText(parent, 'groupId');
    const version = childText(project, 'version') ?? childText(parent, 'version');
    for (const prefix of ['project.', 'pom.', '']) {
      set(`${prefix}groupId`, groupId);
      set(`${prefix}artifactId`, childText(project, 'artifactId'));
      set(`${prefix}version`, version);
    }
    for (const prefix of ['project.parent.', 'parent.']) {
      set(`${prefix}groupId`, childText(parent, 'groupId'));
      set(`${prefix}artifactId`, childText(parent, 'artifactId'));
      set(`${prefix}version`, childText(parent, 'version'));
    }
    for (const p of child(project, 'properties')?.children ?? []) properties.set(p.name, p.text.trim());
  }
  const model = { path: chain[0]?.path ?? '', project: chain[0]?.project as XmlElement, properties, managed };
  for (const { project } of [...chain].reverse()) {
    for (const d of child(child(project, 'dependencyManagement'), 'dependencies')?.children ?? []) {
      if (d.name !== 'dependency' || childText(d, 'scope') === 'import') continue;
      const ga = `${interpolate(model, childText(d, 'groupId') ?? '')}:${interpolate(model, childText(d, 'artifactId') ?? '')}`;
      const v = childText(d, 'version');
      if (v !== undefined) managed.set(ga, interpolate(model, v));
    }
  }
  return model;
}

/** Replace `${name}` from the model's properties, recursively (bounded); unknown properties are left in place. */
function interpolate(model: Model, value: string): string {
  let v = value;
  for (let i = 0; i < 10 && v.includes('${'); i++) {
    const next = v.replace(/\$\{([^}]+)\}/g, (m, name: string) => model.properties.get(name) ?? m);
    if (next === v) break;
    v = next;
  }
  return v;
}

function parsePom(path: string, text: string, options: ParseOptions): LockfileResult {
  const project = readModel(path, text);
  const out = new Collector(path, 'Maven');
  const model = buildModel(lineage(path, project, options, out));
  const deps = child(project, 'dependencies')?.children ?? [];
  for (const d of deps) {
    if (d.name !== 'dependency') continue;
    const groupId = interpolate(model, childText(d, 'groupId') ?? '');
    const artifactId = interpolate(model, childText(d, 'artifactId') ?? '');
    if (groupId === '' || artifactId === '')
      throw lockfileError(path, d.line, 'expected <groupId> and <artifactId> in <dependency>');
    const name = `${groupId}:${artifactId}`;
    const declaredScope = childText(d, 'scope') ?? 'compile';
    if (declaredScope === 'import') continue;
    const scope: Scope =
      declaredScope === 'test' ? 'dev' : childText(d, 'optional') === 'true' ? 'optional' : 'runtime';
    const written = childText(d, 'version');
    const version = written !== undefined ? interpolate(model, written) : model.managed.get(name);
    if (version === undefined) {
      out.addUnpinned(name, '', d.line);
      out.warn(
        d.line,
        `${quote(name)} has no version here; it is managed by an imported BOM or a parent POM that was not read`,
      );
      continue;
    }
    if (version.includes('${')) {
      out.addUnpinned(name, version, d.line);
      out.warn(d.line, `${quote(name)}: the version ${quote(version)} uses a property that is not defined locally`);
      continue;
    }
    if (/^[[(]/.test(version) || version.includes(',')) {
      out.addUnpinned(name, version, d.line);
      continue;
    }
    out.add(name, version, d.line, { scope, direct: true });
  }
  return out.result('pom.xml');
}

export const pomXml: LockfileFormat = { name: 'pom.xml', ecosystem: 'Maven', parse: parsePom };
