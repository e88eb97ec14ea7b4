// Jest for the pure helpers of labextension/src/lib (ts-jest, as in JupyterLab's extension
// template); the widgets are tested in a real browser (tests/ui).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/labextension/src'],
  testRegex: '/__tests__/.*\\.spec\\.ts$',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  }
};
