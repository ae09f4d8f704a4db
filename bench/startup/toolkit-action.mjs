// A minimal action written the usual way: @actions/core and the global fetch. Reads an input, masks a value, makes
// one HTTP request, sets an output.
import * as core from '@actions/core';

const url = core.getInput('url');
core.setSecret('not-a-real-secret-value');
const res = await fetch(url);
core.info(`status ${res.status}`);
core.setOutput('body', await res.text());
