// Types of Vite's module forms the app uses (?url imports, import.meta.env).
/// <reference types="vite/client" />
