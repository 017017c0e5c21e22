/**
 * @file The slice of Electron's API this app uses, as structural types. Main-process code takes
 * it as a parameter instead of importing 'electron', so the security settings can be unit-tested
 * under plain Node with a hand-made stand-in (the Electron binary cannot be installed everywhere
 * the tests run). `main.ts` passes the real module.
 */

export interface WebContentsLike {
  id: number;
  on(event: 'will-navigate' | 'will-redirect', fn: (e: { preventDefault(): void; url: string }, url: string) => void): void;
  setWindowOpenHandler(fn: (d: { url: string }) => { action: 'deny' | 'allow' }): void;
  send(channel: string, ...args: unknown[]): void;
  getURL(): string;
  isDestroyed(): boolean;
}

export interface SessionLike {
  setPermissionRequestHandler(fn: (wc: WebContentsLike | null, permission: string, cb: (granted: boolean) => void, details: PermissionDetails) => void): void;
  setPermissionCheckHandler(fn: (wc: WebContentsLike | null, permission: string, origin: string, details: PermissionDetails) => boolean): void;
  webRequest: { onHeadersReceived(fn: (d: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void): void };
}

export interface PermissionDetails {
  requestingUrl?: string;
  securityOrigin?: string;
  mediaTypes?: ('video' | 'audio')[];
  mediaType?: 'video' | 'audio' | 'unknown';
  isMainFrame?: boolean;
}

export interface BrowserWindowLike {
  webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  loadFile(file: string, opts?: { query?: Record<string, string> }): Promise<void>;
  once(event: 'ready-to-show', fn: () => void): void;
  show(): void;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
}

export interface WebPreferencesLike {
  preload: string;
  contextIsolation: boolean;
  sandbox: boolean;
  nodeIntegration: boolean;
  nodeIntegrationInWorker: boolean;
  nodeIntegrationInSubFrames: boolean;
  webSecurity: boolean;
  allowRunningInsecureContent: boolean;
  webviewTag: boolean;
  experimentalFeatures: boolean;
  navigateOnDragDrop: boolean;
  spellcheck: boolean;
}

export interface IpcMainInvokeEventLike {
  sender: WebContentsLike;
  senderFrame: { url: string; parent: unknown } | null;
}

/** Electron's utilityProcess (a Node child process the RunAsNode fuse does not affect). */
export interface UtilityProcessLike {
  fork(
    modulePath: string,
    args: string[],
    opts: { execArgv: string[]; env: NodeJS.ProcessEnv; serviceName: string; stdio: 'inherit' | 'pipe' | 'ignore' },
  ): {
    pid: number | undefined;
    postMessage(m: unknown): void;
    on(event: 'message', fn: (m: unknown) => void): unknown;
    on(event: 'exit', fn: (code: number) => void): unknown;
    kill(): boolean;
  };
}

/** Electron's protocol module: the app:// scheme the renderer is served from (app-protocol.ts). */
export interface ProtocolLike {
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void;
  handle(scheme: string, handler: (req: { url: string; method: string }) => Response | Promise<Response>): void;
}

export interface ElectronLike {
  BrowserWindow: new (opts: { width: number; height: number; minWidth: number; minHeight: number; show: boolean; title: string; backgroundColor: string; webPreferences: WebPreferencesLike }) => BrowserWindowLike;
  session: { defaultSession: SessionLike };
  ipcMain: {
    handle(channel: string, fn: (e: IpcMainInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
    removeHandler(channel: string): void;
  };
}

/** The window calls that draw attention: taskbar/dock progress, focus state, flashing. */
export interface AttentionWindowLike {
  setProgressBar(progress: number, options?: { mode: 'none' | 'normal' | 'indeterminate' | 'error' | 'paused' }): void;
  isFocused(): boolean;
  flashFrame(flag: boolean): void;
  focus(): void;
  webContents: { send(channel: string, ...args: unknown[]): void; isDestroyed(): boolean };
}

export interface NotificationLike {
  on(event: 'click', fn: () => void): void;
  show(): void;
}

/** Notifications, the dock (macOS) and native dialogs: what the desktop-only features use. */
export interface DesktopLike {
  Notification: { new (opts: { title: string; body: string; silent?: boolean }): NotificationLike; isSupported(): boolean };
  app: { dock?: { setBadge(text: string): void }; setBadgeCount?(count: number): boolean };
  dialog: {
    showOpenDialog(
      win: unknown,
      opts: { title: string; buttonLabel: string; properties: ('openDirectory' | 'createDirectory' | 'promptToCreate')[] },
    ): Promise<{ canceled: boolean; filePaths: string[] }>;
  };
}
