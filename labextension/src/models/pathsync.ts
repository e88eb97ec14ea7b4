import { ISessionContext } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';

/**
 * The kernel-side call telling the tracking extension its notebook's path. Guarded: a kernel
 * of another environment (no cellops) must not show an error for it.
 */
export function followCode(path: string): string {
  return [
    'try:',
    '    import cellops.tracking.extension as _cellops_x',
    `    _cellops_x.follow_notebook(${JSON.stringify(path)})`,
    '    del _cellops_x',
    'except Exception:',
    '    pass'
  ].join('\n');
}

/**
 * Keeps a notebook's kernel told where its notebook is. The kernel learns its path once, from
 * the environment it starts with; after File > Rename or a move, executions would still be
 * filed under the old name and the History of the renamed notebook stay empty.
 */
export function followRenames(panel: NotebookPanel): void {
  const session: ISessionContext = panel.sessionContext;
  let told: string | null = null;
  const tell = () => {
    const kernel = session.session?.kernel;
    const path = session.path;
    if (!kernel || !path || path === told) {
      return;
    }
    told = path;
    // Silent: no execution count, no history entry, no post_run_cell (so not recorded).
    kernel.requestExecute(
      { code: followCode(path), silent: true, store_history: false },
      true
    );
  };
  session.propertyChanged.connect((_, name) => {
    if (name === 'path') {
      tell();
    }
  });
  // A restarted or changed kernel may start with the name the session was created with: tell
  // it again once it is up (the call does nothing when the kernel already knows the path).
  session.kernelChanged.connect(() => {
    told = null;
  });
  session.statusChanged.connect((_, status) => {
    if (status === 'restarting' || status === 'autorestarting') {
      told = null;
    } else if (status === 'idle') {
      tell();
    }
  });
}
