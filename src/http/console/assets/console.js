// toolbox console: fills the server-rendered pages from the REST API. Every action is an API
// call carrying the key the person entered; nothing here decides what they may do, the API
// does (the console only hides controls a read-only key cannot use). Written by hand as ES
// modules the browser loads as they are: no build step. Data is put into the page with
// textContent, never as HTML.
import { $, failure, setupKeyPanel, whoami } from './core.js';
import { pageSearch } from './search.js';
import { pageTools } from './tools.js';
import { pageTool } from './tool.js';
import { pageToolForm } from './toolform.js';
import { pageExecutions, pageExecution } from './executions.js';
import { pageServers } from './servers.js';

const PAGES = {
  search: pageSearch, tools: pageTools, tool: pageTool, edit: pageToolForm, register: pageToolForm,
  executions: pageExecutions, execution: pageExecution, servers: pageServers,
};

async function start() {
  setupKeyPanel();
  await whoami();
  const page = PAGES[document.body.dataset.page];
  if (page) {
    try { await page(); } catch (e) {
      $('#main').append(failure('This page', e));
    }
  }
  document.body.dataset.ready = 'true';
}

start();
