/**
 * The edit step the page states share: run one API call, reload the list it changed, and keep
 * the error on the state (for its Notice) instead of throwing. Resolves true when it succeeded.
 */
export async function editThenReload(state: { load(): Promise<void>; error: unknown }, fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    await state.load();
    return true;
  } catch (e) {
    state.error = e;
    return false;
  }
}
