#!/usr/bin/env sh
# The demo build: packages src/ into dist/ and, like a careless build script, prints the deploy token it was given
# (plainly, base64-encoded, URL-encoded and inside JSON). Airlock's redaction is what keeps it out of the log.
set -eu
mkdir -p dist
cp src/index.js dist/app.js
printf 'airlock-demo-app 1.4.2\n' > dist/VERSION
echo "building with token $DEMO_DEPLOY_TOKEN"
echo "debug: authorization=$(printf '%s' "demo:$DEMO_DEPLOY_TOKEN" | base64 | tr -d '\n')"
echo "debug: $(node -e 'process.stdout.write(JSON.stringify({ token: process.env.DEMO_DEPLOY_TOKEN }))')"
echo "debug: url=https://deploy.example/hook?token=$(node -e 'process.stdout.write(encodeURIComponent(process.env.DEMO_DEPLOY_TOKEN))')"
echo "built dist/app.js and dist/VERSION"
