export { loadEmbeddedConfig, embeddedConfigSpec, type EmbeddedConfig } from './config';
export { startPlatform, type Platform, type RunningService } from './platform';
export { embeddedServices, type EmbeddedContext, type EmbeddedService, type StartedService } from './services';
export { databaseDirectory, secretPath } from './data-folder';
export { demoUsersSecret, readDemoUsers, type DemoUser } from './demo-users';
