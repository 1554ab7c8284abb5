import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonCandidates, loadFailure } from '../../lib/native/addon';

describe('addon loader', () => {
  it('looks in the node-gyp and cmake-js build folders, or only where CONVKIT_ADDON says', () => {
    const root = '/pkg';
    expect(addonCandidates(root, {})).toEqual([
      join(root, 'build', 'Release', 'convkit.node'),
      join(root, 'build', 'Debug', 'convkit.node'),
      join(root, 'build-cmake', 'Release', 'convkit.node'),
      join(root, 'build-cmake', 'convkit.node'),
    ]);
    expect(addonCandidates(root, { CONVKIT_ADDON: '/tmp/asan/convkit.node' })).toEqual(['/tmp/asan/convkit.node']);
  });

  it('explains a failed load: what was tried, the platform, and possible solutions', () => {
    const error = loadFailure([{ path: '/pkg/build/Release/convkit.node', error: 'not found' }]);
    expect(error.message).toContain('/pkg/build/Release/convkit.node: not found');
    expect(error.message).toContain(`${process.platform}-${process.arch}`);
    expect(error.message).toContain(process.version);
    expect(error.message).toContain('Possible solutions');
    expect(error.message).toContain('npm install-scripts approve convkit');
    expect(error.message).toContain('npm rebuild convkit');
  });
});
