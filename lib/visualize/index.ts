// ck.visualize: pictures of a network — its filters, its feature maps, its training curves.
export { filters } from './filters';
export type { FiltersOptions } from './filters';
export { featureMaps } from './feature_maps';
export type { FeatureMapsOptions } from './feature_maps';
export { history } from './history';
export type { HistoryOptions } from './history';
export type { GridPicture } from './grid';
export type { Picture, PictureFormat } from './image';
