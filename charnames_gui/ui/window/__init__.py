"""The main window and what only it uses: menus, docks, zoom, exports, dialogs."""
