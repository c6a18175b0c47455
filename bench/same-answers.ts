/**
 * The raw baseline is only a baseline if it does the app's work: before a scenario is measured against it, both
 * must answer `path` with the same status and the same JSON (key order aside). Throws, naming the path and both
 * answers, when they differ, so that the bench stops rather than compare unlike work.
 */
export async function checkSameAnswers(
  app: string,
  baseline: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const answerOf = async (base: string) => {
    const response = await fetch(`${base}${path}`, { headers });
    return { status: response.status, body: await response.json() };
  };
  const [ours, theirs] = await Promise.all([answerOf(app), answerOf(baseline)]);
  if (!Bun.deepEquals(ours, theirs, true))
    throw new Error(
      `the raw baseline answers ${path} unlike the app:\napp:      ${JSON.stringify(ours)}\nbaseline: ${JSON.stringify(theirs)}`,
    );
}
