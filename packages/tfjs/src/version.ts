/** The version of @gradscope/tfjs, reported in every run-start event. */
export const VERSION = '0.1.0';
