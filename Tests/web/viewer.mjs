// Loads one of the viewer's pure modules (Sources/<target>/Web/page/viewer/NAME) for a test,
// whichever target holds the page.
import { existsSync, readdirSync } from "node:fs";

const sources = new URL("../../Sources/", import.meta.url);
const target = readdirSync(sources).find((t) => existsSync(new URL(`${t}/Web/page/viewer/`, sources)));
if (!target) throw new Error("no Sources/*/Web/page/viewer directory");

export const viewerModule = (name) => import(new URL(`${target}/Web/page/viewer/${name}`, sources).href);
