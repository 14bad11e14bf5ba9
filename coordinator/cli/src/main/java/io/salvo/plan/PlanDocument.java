package io.salvo.plan;

/**
 * A plan file as {@code salvo run} reads it: the run plan, and the optional {@link PlatformSection} that deploys its
 * target first (null without one). With a platform, the plan's target URL is a path resolved against the
 * deployment's endpoint; {@link #targetPath()} holds it.
 */
public record PlanDocument(io.salvo.proto.v1.RunPlan plan, PlatformSection platform, String targetPath) {}
