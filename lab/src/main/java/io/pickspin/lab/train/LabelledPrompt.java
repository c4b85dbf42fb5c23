package io.pickspin.lab.train;

import io.pickspin.model.Tier;

/**
 * One prompt of the classifier's data set with its tier and the signal the tier came from.
 *
 * @param id source name plus position in the source file, stable across runs
 * @param source the data set, e.g. "mmlu" or "math"
 * @param text the prompt as a client would send it
 * @param tier the label
 * @param signal why: e.g. "weak-correct", "level-4", "benchmark"
 */
public record LabelledPrompt(String id, String source, String text, Tier tier, String signal) {}
