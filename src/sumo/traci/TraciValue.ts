/** A decoded TraCI value: numbers for ubyte/byte/int/double, strings, string and double lists, compounds. */
export type TraciValue = number | string | string[] | number[] | TraciValue[];
