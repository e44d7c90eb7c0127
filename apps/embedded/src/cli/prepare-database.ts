/**
 * Makes embedded mode's empty database cluster once, at install time (`npm ci`
 * runs it through scripts/prepare-embedded.mjs): an initdb in WebAssembly
 * takes several seconds, which would otherwise be spent by the first
 * `npm start` of a fresh clone. Prints one line; exits 1 if it could not be
 * made (npm start then makes it itself).
 */
import { prepareInstallTemplate } from '../database-template';

const started = performance.now();
try {
  const folder = await prepareInstallTemplate();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`[prepare-embedded] the empty embedded database is ready (${seconds} s): ${folder}`);
} catch (error) {
  console.error(
    `[prepare-embedded] could not prepare the empty embedded database (npm start will make it): ${String(error)}`,
  );
  process.exitCode = 1;
}
