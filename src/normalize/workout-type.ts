// A workout's name (localised since iOS 26, HAE #42) → a stable, bounded `type` label.

const KNOWN: [RegExp, string][] = [
  [/run|lauf|ausführen|course|corsa|carrera|hardloop/i, "run"],
  [/walk|geh|spazier|marche|cammin|caminar|wandel/i, "walk"],
  [/hik|wander|randonn|escurs|sender/i, "hike"],
  [/cycl|bike|radfahr|rad |vélo|velo|cicl|fiets/i, "cycle"],
  [/swim|schwimm|nage|nuot|nata|zwem/i, "swim"],
  [/strength|kraft|muscul|forza|fuerza|kracht/i, "strength"],
  [/hiit|high intensity|intervall/i, "hiit"],
  [/yoga/i, "yoga"],
  [/flexib|beweglich|stretch|dehn|étirement/i, "flexibility"],
  [/row|ruder|aviron|canottaggio|remo|roei/i, "row"],
  [/elliptic|crosstrainer|ellittic|elíptic/i, "elliptical"],
  [/pilates/i, "pilates"],
  [/danc|tanz|danse|ballo|baile/i, "dance"],
  [/core/i, "core"],
  [/cooldown|cool down|abkühl/i, "cooldown"],
  [/tennis|padel|squash|badminton/i, "racket"],
  [/soccer|football|fußball|basket|volley|hockey|rugby/i, "team_sport"],
  [/ski|snowboard/i, "snow"],
  [/climb|kletter|bloc|escal|arramp/i, "climb"],
  [/stair|treppen/i, "stairs"],
  [/mind|breath|medit/i, "mind"],
];

const MAX_LABEL = 32;

/** Known activities map to one English type whatever the language; anything else is sanitised. */
export function workoutType(name: string): string {
  for (const [pattern, type] of KNOWN) if (pattern.test(name)) return type;
  const clean = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, MAX_LABEL);
  return clean || "other";
}
