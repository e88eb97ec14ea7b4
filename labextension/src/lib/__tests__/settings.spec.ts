import { DEFAULT_SETTINGS, readSettings } from '../settings';

describe('readSettings', () => {
  it('takes valid values', () => {
    expect(
      readSettings({
        defaultJobs: 4,
        pollingInterval: 1000,
        showBadges: false,
        promoteTarget: 'pipelines/{name}'
      })
    ).toEqual({
      defaultJobs: 4,
      pollingInterval: 1000,
      showBadges: false,
      promoteTarget: 'pipelines/{name}'
    });
  });

  it('falls back to the default for each unusable value', () => {
    expect(
      readSettings({
        defaultJobs: 0,
        pollingInterval: 2.5,
        showBadges: 'yes',
        promoteTarget: 'fixed-folder'
      })
    ).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
  });
});
