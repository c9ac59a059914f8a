export * from '@gradscope/tfjs';
