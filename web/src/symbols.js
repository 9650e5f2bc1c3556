// APP-6(D) symbol identification codes (20 digits) for air tracks, from the threat assessment's identity and the
// track's class (borderwatch/sim/data/targets.yaml). Symbol set 01 (air); entity 110100 military fixed wing,
// 110200 military rotary wing, 110300 unmanned aerial vehicle (fixed wing), 110400 vertical-takeoff UAV (rotary:
// quadcopters, FPV), 120100/120200 civilian fixed / rotary wing,
// 000000 unspecified air track. The identity digit: 1 unknown, 3 friend, 4 neutral, 5 suspect, 6 hostile.
const IDENTITY = { unknown: "1", friend: "3", neutral: "4", suspect: "5", hostile: "6" };
const CLASS = {
  shahed: ["110300", "fixed-wing UAV"],
  geran3: ["110300", "fixed-wing UAV"],
  gerbera: ["110300", "fixed-wing UAV"],
  orlan10: ["110300", "fixed-wing UAV"],
  stray_lr: ["110300", "fixed-wing UAV"],
  quadcopter: ["110400", "rotary UAV"],
  fpv: ["110400", "rotary UAV"],
  light_aircraft: ["120100", "aircraft"],
  helicopter: ["120200", "helicopter"],
};

export function isBird(cls) {
  return cls === "birds" || cls === "bird";
}

// status digit (7th): 0 present; engaged tracks keep "present" and get a halo, neutralised ones 4 (destroyed)
export function sidcFor(identity, cls, state) {
  const [entity, label] = CLASS[cls] || ["000000", "unknown air"];
  const id = IDENTITY[identity] || "1";
  const status = state === "neutralised" ? "4" : "0";
  return { sidc: `100${id}01${status}000${entity}0000`, label };
}
