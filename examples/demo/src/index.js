// The demo application: small on purpose.
const _ = require('lodash');
const parse = require('minimist');

const args = parse(process.argv.slice(2));
console.log(_.template('Hello, <%= name %>!')({ name: args.name ?? 'world' }));
