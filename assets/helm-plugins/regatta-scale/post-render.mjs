#!/usr/bin/env node
// Reads rendered manifests on stdin, writes them with the replica counts given as a JSON argument.
// Started by ./post-render only when the manifest may change (see there).
import { runPostRender } from '../../../dist/src/plan/post-render.js';

process.exitCode = await runPostRender(process.argv.slice(2));
