import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsToMarkdown } from '@avfleet/config';
import { repoRoot } from '../helpers/repo-root';

describe('README', () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');

  it('documents every fleet setting exactly as the code resolves it', () => {
    expect(readme).toContain(settingsToMarkdown().trim());
  });

  it('gives the two set-up commands: the scan and the tests', () => {
    expect(readme).toMatch(/^scripts\/quickstart\.sh\b/m);
    expect(readme).toMatch(/^scripts\/run-tests\.sh\b/m);
  });
});
