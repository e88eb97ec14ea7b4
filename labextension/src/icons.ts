import { LabIcon } from '@jupyterlab/ui-components';

import cellopsSvgStr from '../style/icons/cellops.svg';

/**
 * The cellops icon: three stages joined into a pipeline.
 */
export const cellopsIcon = new LabIcon({
  name: 'cellops:pipeline',
  svgstr: cellopsSvgStr
});
