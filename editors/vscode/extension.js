// Starts the jinjiang-dsl language server for .pol files (see docs/editors.md).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("jinjiang").get("serverCommand");
  client = new LanguageClient(
    "jinjiang-dsl",
    "Jinjiang policy",
    { command, args },
    { documentSelector: [{ scheme: "file", language: "jinjiang" }] },
  );
  context.subscriptions.push(client);
  client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
