// Differential privacy for DP-FedAvg: RDP accountant, conversion, calibration, discrete noise, Poisson sampling.
export type { DpSetting, FractionalSeries, RdpOptions } from './rdp';
export { rdpPoissonSubsampledGaussian, rdpCurve, composeRdp, logAInteger, logAFractional, logAQuadrature, klSubsampledGaussian } from './rdp';
export type { EpsilonAtOrder, DeltaAtOrder } from './conversion';
export { epsilonFromRdp, deltaFromRdp } from './conversion';
export type { OrderListName } from './orders';
export { OPACUS_ORDERS, TF_PRIVACY_ORDERS, DP_ACCOUNTING_ORDERS, DEFAULT_ORDERS, ORDER_LISTS } from './orders';
export type { Account, Budget, NextStep } from './accountant';
export { createAccountant, compose, epsilon, delta, wouldExceed } from './accountant';
export type { CalibrationTarget } from './calibrate';
export { calibrateNoiseMultiplier, epsilonFor, MAX_CALIBRATED_NOISE_MULTIPLIER } from './calibrate';
export type { RandomBytes } from './random-bits';
export { RandomBits } from './random-bits';
export type { Rational, DiscreteGaussianScale, DiscreteGaussianSampler } from './discrete-gaussian';
export {
  createDiscreteGaussianSampler,
  sampleDiscreteGaussianVector,
  discreteGaussianPmf,
  discreteGaussianVariance,
  exactRational,
  MAX_DISCRETE_GAUSSIAN_SIGMA,
} from './discrete-gaussian';
export type { CentralNoise, DistributedNoise } from './distributed';
export { centralNoiseStd, deviceNoiseVariance, deviceNoiseSigma, discreteGaussianSumSlack, distributedDiscreteGaussianRdp } from './distributed';
export { poissonSample } from './sampling';
export * as validate from './validate';
