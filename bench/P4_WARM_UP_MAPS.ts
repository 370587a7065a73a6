/**
 * Whole P4 maps run before the timed pairs, the same for every JS system (drover, piscina, the bare
 * processes). Measured on drover (a fresh `drover local`, 100 pairs after 10 maps, in blocks of 15): the
 * first block's median efficiency came out 74–86 % in four runs against 92–105 % for the later ones, as
 * V8 still tiers up the control plane's per-task paths (its CPU per map fell from ~17 to ~12 ms); two
 * warm-up maps timed mostly that climb. Ten take ~2 s.
 */
export const P4_WARM_UP_MAPS = 10;
