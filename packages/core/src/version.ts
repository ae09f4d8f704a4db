/** The Airlock release these sources belong to; a test keeps it equal to package.json's version. */
export const AIRLOCK_VERSION = '0.1.0';
