export { loadEmbeddedConfig, embeddedConfigSpec, type EmbeddedConfig } from './config';
export { startPlatform, type Platform, type RunningService } from './platform';
export {
  embed,
  embeddedServices,
  type EmbeddedAdapter,
  type EmbeddedContext,
  type EmbeddedService,
  type Handover,
  type StartedService,
} from './services';
export { databaseDirectory, secretPath, OldDataFolderLayoutError } from './data-folder';
export { demoUsersSecret, readDemoUsers, type DemoUser } from './demo-users';
