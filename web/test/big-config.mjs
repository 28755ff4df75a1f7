// The benchmark's file, shared by test/robust.test.mjs and bench/keystroke.mjs.

/** A 2,000-line zerops.yaml: 100 setups of 20 lines, every tenth with a typo. */
export function bigConfig() {
  const lines = ['zerops:'];
  for (let i = 0; lines.length < 2000; i++) {
    lines.push(
      `  - setup: app${i}`,
      '    build:',
      '      base: nodejs@22',
      '      prepareCommands:',
      '        - apk add --no-cache git',
      '      buildCommands:',
      '        - npm install',
      '        - npm run build',
      '      deployFiles: dist/~',
      i % 10 === 0 ? '      cahce:' : '      cache:',
      '        - node_modules',
      '        - .cache',
      '    run:',
      '      base: nodejs@22',
      '      ports:',
      '        - port: 3000',
      '          httpSupport: true',
      '      envVariables:',
      `        NAME: app${i}`,
      '      start: node index.js',
    );
  }
  return lines.slice(0, 2000).join('\n') + '\n';
}
