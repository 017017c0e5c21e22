import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { startBrowserNotifications } from './lib/notify.ts';

mount(App, { target: document.getElementById('app')! });
// Browser mode only, and only after the opt-in on the Settings page.
startBrowserNotifications();
