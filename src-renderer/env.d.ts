// Svelte components, for the renderer's TypeScript check (Vite compiles them).
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<Record<string, unknown>>;
  export default component;
}

// Vite's `?url` imports (the AudioWorklet module): the built file's URL.
declare module '*?url' {
  const url: string;
  export default url;
}
