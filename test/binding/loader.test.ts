import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonCandidates, loadFailure } from '../../lib/native/addon';
import { currentTarget, prebuildPath, runningLibc, targetName } from '../../lib/native/prebuilds';
import * as convkit from '../../lib';
import { packageEntry, runNode } from '../helpers/child';

describe('addon loader', () => {
  const linuxArm = { platform: 'linux', arch: 'arm64', libc: 'glibc' } as const;

  it('looks in the build folders first, then at the prebuilt addon, or only where CONVKIT_ADDON says', () => {
    const root = '/pkg';
    expect(addonCandidates(root, {}, linuxArm)).toEqual([
      join(root, 'build', 'Release', 'convkit.node'),
      join(root, 'build', 'Debug', 'convkit.node'),
      join(root, 'build-cmake', 'Release', 'convkit.node'),
      join(root, 'build-cmake', 'convkit.node'),
      join(root, 'prebuilds', 'linux-arm64', 'convkit.napi.glibc.node'),
    ]);
    expect(addonCandidates(root, { CONVKIT_ADDON: '/tmp/asan/convkit.node' })).toEqual(['/tmp/asan/convkit.node']);
  });

  it("names prebuilt addons in prebuildify's layout, with the C library on Linux only", () => {
    expect(prebuildPath('/pkg', { platform: 'linux', arch: 'x64', libc: 'musl' })).toBe(
      join('/pkg', 'prebuilds', 'linux-x64', 'convkit.napi.musl.node'),
    );
    expect(prebuildPath('/pkg', { platform: 'darwin', arch: 'arm64' })).toBe(
      join('/pkg', 'prebuilds', 'darwin-arm64', 'convkit.napi.node'),
    );
    expect(targetName(linuxArm)).toBe('linux-arm64-glibc');
    expect(targetName({ platform: 'win32', arch: 'x64' })).toBe('win32-x64');
  });

  it("reads this process's target, C library included", () => {
    const target = currentTarget();
    expect(target.platform).toBe(process.platform);
    expect(target.arch).toBe(process.arch);
    if (process.platform !== 'linux') return;
    expect(target.libc).toBe(runningLibc());
    // Alpine is the musl distribution Node runs on; everything else here is glibc.
    expect(runningLibc()).toBe(existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
  });

  it('reports which addon file it loaded', () => {
    expect(convkit.backendInfo().addonPath).toMatch(/convkit(\.napi\.\w+)?\.node$/);
  });

  it('explains a failed load: what was tried, the target, and the one command that builds from source', () => {
    const error = loadFailure(
      [{ path: '/pkg/prebuilds/linux-arm64/convkit.napi.glibc.node', error: 'not found' }],
      ['linux-x64/convkit.napi.glibc.node'],
      linuxArm,
    );
    expect(error.message).toContain('/pkg/prebuilds/linux-arm64/convkit.napi.glibc.node: not found');
    expect(error.message).toContain('linux-arm64-glibc');
    expect(error.message).toContain(process.version);
    expect(error.message).toContain('npx convkit build-native');
    expect(error.message).toContain('prebuilt addons: linux-x64/convkit.napi.glibc.node');
    expect(loadFailure([], [], linuxArm).message).toContain('no prebuilt addons');
  });

  it('fails to load with that message, in a process where no candidate exists', async () => {
    const run = await runNode(['-e', 'require(process.argv[1])', packageEntry], {
      env: { CONVKIT_ADDON: '/nonexistent/convkit.node' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('/nonexistent/convkit.node: not found');
    expect(run.stderr).toContain('npx convkit build-native');
  });
});
