<?php
/**
 * Static checks of the Magento modules under a directory, without Magento:
 * every class that an XML file or the GraphQL schema names exists (in our
 * modules, by PSR-4, or on the allow-list of Magento classes below) and has
 * the methods its role requires:
 *   - module: name pattern, registration.php == etc/module.xml == composer
 *     PSR-4 namespace, <sequence> of our modules that exist;
 *   - di.xml: preferences implement their interface, plugin methods
 *     (before/after/around) name a public method of the target, with the
 *     subject first, a result second for after-plugins; commands extend
 *     Symfony's Command; virtual TypePool paths exist in system.xml;
 *   - events.xml: observers implement ObserverInterface::execute, events
 *     are Magento's known ones or dispatched by our code;
 *   - routes.xml: controllers implement HttpGetActionInterface::execute;
 *   - layout: block classes, templates, view models (ArgumentInterface);
 *   - schema resolvers (from check-graphql-schema.mjs, argv[2..]);
 *   - system.xml fields have defaults in config.xml (bar files and
 *     secrets), config reads name existing fields, the section's ACL
 *     resource exists; templates escape every echo; no ObjectManager, no
 *     fork; every __() string is in i18n/en_US.csv.
 *   php check-module.php MODULES_DIR [RESOLVER_CLASS...]
 * Prints one line per problem; exit 1 when there is any.
 */

declare(strict_types=1);

/** Magento classes we plug into or name, with the public methods we rely on. */
const MAGENTO = [
    'Magento\CatalogInventory\Block\Stockqty\AbstractStockqty' => ['isMsgVisible', 'getStockQtyLeft', 'getProduct'],
    'Magento\Catalog\Block\Product\AbstractProduct' => ['getProductDetailsHtml', 'getLayout'],
    'Magento\Catalog\Block\Product\View' => ['getProduct', 'getIdentities'],
    'Magento\Framework\App\Response\Http' => ['setPublicHeaders', 'getHeader'],
    'Magento\Framework\View\Layout' => ['getOutput'],
    'Magento\CatalogInventory\Api\StockStateInterface' => ['checkQuoteItemQty'],
    'Magento\ProductAlert\Model\ResourceModel\Stock' => ['save', 'delete'],
    'Magento\ProductAlert\Model\Stock' => ['deleteCustomer'],
    'Magento\Config\Model\Config\TypePool' => [],
    'Magento\Framework\Console\CommandList' => [],
    'Magento\Config\Model\Config\Source\Yesno' => [],
    'Magento\Config\Model\Config\Backend\Encrypted' => [],
];
/** Interfaces a role requires, with the method the role calls. */
const ROLES = [
    'observer' => ['Magento\Framework\Event\ObserverInterface', 'execute'],
    'controller' => ['Magento\Framework\App\Action\HttpGetActionInterface', 'execute'],
    'view_model' => ['Magento\Framework\View\Element\Block\ArgumentInterface', null],
    'resolver' => ['Magento\Framework\GraphQl\Query\ResolverInterface', 'resolve'],
    'batch_resolver' => ['Magento\Framework\GraphQl\Query\Resolver\BatchResolverInterface', 'resolve'],
    'command' => ['Symfony\Component\Console\Command\Command', 'execute'],
];
const MAGENTO_EVENTS = ['catalog_block_product_list_collection', 'catalog_product_collection_load_after'];

$root = rtrim($argv[1] ?? '', '/');
if ($root === '' || !is_dir($root)) {
    fwrite(STDERR, "usage: php check-module.php MODULES_DIR [RESOLVER_CLASS...]\n");
    exit(2);
}
$errors = [];
$err = static function (string $where, string $message) use (&$errors, $root): void {
    $errors[] = str_replace($root . '/', '', $where) . ': ' . $message;
};

/** @return array<string, array{file: string, kind: string, extends: ?string, implements: string[], methods: array<string, string>}> */
function scanClasses(string $dir): array
{
    $classes = [];
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $file) {
        $relative = substr($file->getPathname(), strlen($dir));
        if ($file->getExtension() !== 'php' || str_contains($relative, '/node_modules/') || preg_match('#^/(tools|tests)/#', $relative)) {
            continue;
        }
        $src = (string) file_get_contents($file->getPathname());
        if (!preg_match('/^namespace\s+([^;]+);/m', $src, $ns)
            || !preg_match('/^(?:abstract\s+|final\s+)?(class|interface)\s+(\w+)(?:\s+extends\s+([\w\\\\]+))?(?:\s+implements\s+([\w\\\\,\s]+))?/m', $src, $m)) {
            continue;
        }
        preg_match_all('/^use\s+([\w\\\\]+)(?:\s+as\s+(\w+))?;/m', $src, $uses, PREG_SET_ORDER);
        $alias = [];
        foreach ($uses as $u) {
            $alias[$u[2] ?? '' ?: substr(strrchr('\\' . $u[1], '\\'), 1)] = $u[1];
        }
        $resolve = static function (string $name) use ($alias, $ns): string {
            $name = trim($name);
            if ($name === '') {
                return '';
            }
            if ($name[0] === '\\') {
                return ltrim($name, '\\');
            }
            $first = explode('\\', $name)[0];
            if (isset($alias[$first])) {
                return $alias[$first] . substr($name, strlen($first));
            }
            return $ns[1] . '\\' . $name;
        };
        preg_match_all('/(public|protected)\s+(?:static\s+)?function\s+(\w+)\s*\(([^)]*)\)/s', $src, $methods, PREG_SET_ORDER);
        $byName = [];
        $protected = [];
        foreach ($methods as [, $visibility, $name, $params]) {
            if ($visibility === 'protected') {
                $protected[] = $name;
                continue;
            }
            $byName[$name] = preg_replace_callback('/(?<![\$\w\\\\])([A-Z][\w\\\\]*)(?=\s+\$)/', fn ($t) => $resolve($t[1]), $params);
        }
        $classes[$ns[1] . '\\' . $m[2]] = [
            'file' => $file->getPathname(),
            'kind' => $m[1],
            'extends' => isset($m[3]) && $m[3] !== '' ? $resolve($m[3]) : null,
            'implements' => isset($m[4]) ? array_map($resolve, array_filter(array_map('trim', explode(',', $m[4])))) : [],
            'methods' => $byName,
            'protected' => $protected,
        ];
    }
    return $classes;
}

$classes = scanClasses($root);
$exists = static fn (string $class): bool => isset($classes[$class]) || isset(MAGENTO[$class]);
$requireRole = static function (string $where, string $class, string $role) use ($classes, $err): void {
    [$interface, $method] = ROLES[$role];
    if (!isset($classes[$class])) {
        $err($where, "$role class $class does not exist in our modules");
        return;
    }
    $c = $classes[$class];
    if (!in_array($interface, $c['implements'], true) && $c['extends'] !== $interface) {
        $err($where, "$role $class must implement/extend $interface");
    }
    // Symfony calls a command's protected execute(); every other role a public one.
    if ($method !== null && !isset($c['methods'][$method])
        && !($role === 'command' && in_array($method, $c['protected'], true))) {
        $err($where, "$role $class has no " . ($role === 'command' ? '' : 'public ') . "$method()");
    }
};
$xml = static function (string $file) use ($err): ?DOMDocument {
    $doc = new DOMDocument();
    if (!@$doc->load($file)) {
        $err($file, 'not well-formed XML');
        return null;
    }
    return $doc;
};

$modules = [];
foreach (glob("$root/*/registration.php") as $registration) {
    $dir = dirname($registration);
    preg_match("/'(\w+_\w+)'/", (string) file_get_contents($registration), $m);
    $modules[$m[1] ?? basename($dir)] = $dir;
}
$allSource = '';
foreach ($classes as $c) {
    $allSource .= file_get_contents($c['file']);
}

foreach ($modules as $name => $dir) {
    if (!preg_match('/^AvailabilityService_[A-Z][A-Za-z]+$/', $name)) {
        $err("$dir/registration.php", "module name $name does not match AvailabilityService_<Name>");
    }
    $moduleXml = $xml("$dir/etc/module.xml");
    $declared = $moduleXml?->getElementsByTagName('module')->item(0)?->getAttribute('name');
    if ($declared !== $name) {
        $err("$dir/etc/module.xml", "declares $declared, registration.php $name");
    }
    foreach ($moduleXml?->getElementsByTagName('sequence')->item(0)?->getElementsByTagName('module') ?? [] as $seq) {
        $dep = $seq->getAttribute('name');
        if (str_starts_with($dep, 'AvailabilityService_') && !isset($modules[$dep])) {
            $err("$dir/etc/module.xml", "sequence names missing module $dep");
        }
    }
    $composer = json_decode((string) @file_get_contents("$dir/composer.json"), true);
    $namespace = str_replace('_', '\\', $name) . '\\';
    if (($composer['type'] ?? '') !== 'magento2-module' || !isset($composer['autoload']['psr-4'][$namespace])
        || !in_array('registration.php', $composer['autoload']['files'] ?? [], true)) {
        $err("$dir/composer.json", "needs type magento2-module, files [registration.php], psr-4 $namespace");
    }
    foreach ($classes as $class => $c) {
        if (str_starts_with($c['file'], "$dir/") && !str_starts_with($class, $namespace)) {
            $err($c['file'], "class $class outside the module namespace $namespace");
        }
    }

    // di.xml (all areas)
    foreach (glob("$dir/etc{,/*}/di.xml", GLOB_BRACE) as $di) {
        $doc = $xml($di);
        if ($doc === null) {
            continue;
        }
        foreach ($doc->getElementsByTagName('preference') as $p) {
            $for = $p->getAttribute('for');
            $type = $p->getAttribute('type');
            if (!isset($classes[$type])) {
                $err($di, "preference type $type does not exist");
            } elseif (!in_array($for, $classes[$type]['implements'], true)) {
                $err($di, "preference $type does not implement $for");
            }
        }
        foreach ($doc->getElementsByTagName('type') as $t) {
            $target = $t->getAttribute('name');
            if (!$exists($target)) {
                $err($di, "type $target is neither ours nor on the Magento allow-list");
                continue;
            }
            $targetMethods = isset($classes[$target]) ? array_keys($classes[$target]['methods']) : MAGENTO[$target];
            foreach ($t->getElementsByTagName('plugin') as $plugin) {
                $pluginClass = $plugin->getAttribute('type');
                if (!isset($classes[$pluginClass])) {
                    $err($di, "plugin $pluginClass does not exist");
                    continue;
                }
                $hooks = 0;
                foreach ($classes[$pluginClass]['methods'] as $method => $params) {
                    if (!preg_match('/^(before|after|around)([A-Z]\w*)$/', $method, $hm)) {
                        continue;
                    }
                    $hooks++;
                    $targetMethod = lcfirst($hm[2]);
                    if (!in_array($targetMethod, $targetMethods, true)) {
                        $err($di, "plugin $pluginClass::$method: $target has no public $targetMethod()");
                    }
                    $list = array_filter(array_map('trim', explode(',', $params)));
                    $first = preg_split('/\s+/', (string) reset($list))[0] ?? '';
                    if ($first !== $target) {
                        $err($di, "plugin $pluginClass::$method: first parameter must be $target, is '$first'");
                    }
                    if ($hm[1] !== 'before' && count($list) < 2) {
                        $err($di, "plugin $pluginClass::$method: $hm[1]-plugin needs the " . ($hm[1] === 'after' ? 'result' : 'proceed') . ' parameter');
                    }
                }
                if ($hooks === 0) {
                    $err($di, "plugin $pluginClass has no before/after/around method");
                }
            }
            foreach ($t->getElementsByTagName('item') as $item) {
                if ($item->getAttribute('xsi:type') === 'object' || $item->getAttributeNS('http://www.w3.org/2001/XMLSchema-instance', 'type') === 'object') {
                    $class = trim($item->textContent);
                    if ($target === 'Magento\Framework\Console\CommandList') {
                        $requireRole($di, $class, 'command');
                    } elseif (!$exists($class)) {
                        $err($di, "argument object $class does not exist");
                    }
                }
            }
        }
    }

    // events.xml
    foreach (glob("$dir/etc{,/*}/events.xml", GLOB_BRACE) as $events) {
        $doc = $xml($events);
        foreach ($doc?->getElementsByTagName('event') ?? [] as $event) {
            $eventName = $event->getAttribute('name');
            if (!in_array($eventName, MAGENTO_EVENTS, true) && !str_contains($allSource, "'$eventName'")) {
                $err($events, "event $eventName is neither Magento's (allow-list) nor dispatched by our code");
            }
            foreach ($event->getElementsByTagName('observer') as $observer) {
                $requireRole($events, $observer->getAttribute('instance'), 'observer');
            }
        }
    }

    // routes.xml -> controllers
    foreach (glob("$dir/etc/*/routes.xml") as $routes) {
        $xml($routes);
        foreach (glob("$dir/Controller/*/*.php") as $controller) {
            $class = $namespace . str_replace(['/', '.php'], ['\\', ''], substr($controller, strlen($dir) + 1));
            $requireRole($controller, $class, 'controller');
        }
    }

    // layouts: blocks, templates, view models
    foreach (glob("$dir/view/*/layout/*.xml") as $layout) {
        $doc = $xml($layout);
        foreach ($doc?->getElementsByTagName('block') ?? [] as $block) {
            $class = $block->getAttribute('class');
            if ($class !== '' && !$exists($class)) {
                $err($layout, "block class $class is neither ours nor on the allow-list");
            }
            $template = $block->getAttribute('template');
            if ($template !== '') {
                [$module, $path] = array_pad(explode('::', $template, 2), 2, '');
                $area = basename(dirname($layout, 2));
                if (!isset($modules[$module]) || !is_file($modules[$module] . "/view/$area/templates/$path")) {
                    $err($layout, "template $template not found");
                }
            }
            foreach ($block->getElementsByTagName('argument') as $argument) {
                if ($argument->getAttribute('name') === 'view_model') {
                    $requireRole($layout, trim($argument->textContent), 'view_model');
                }
            }
        }
    }

    // templates: escaped output only; plugin-created templates exist
    foreach (glob("$dir/view/*/templates/*/*.phtml") as $template) {
        preg_match_all('/<\?=\s*([^;?]*)/', (string) file_get_contents($template), $echoes);
        foreach ($echoes[1] as $echo) {
            if (!preg_match('/^\$escaper->escape(Html|HtmlAttr|Url|Js)\(/', trim($echo))) {
                $err($template, "unescaped output: <?= $echo");
            }
        }
    }
    foreach ($classes as $c) {
        if (!str_starts_with($c['file'], "$dir/")) {
            continue;
        }
        $src = (string) file_get_contents($c['file']);
        preg_match_all("/'(AvailabilityService_\w+)::([\w\/.]+\.phtml)'/", $src, $refs, PREG_SET_ORDER);
        foreach ($refs as $ref) {
            if (!isset($modules[$ref[1]]) || !glob($modules[$ref[1]] . '/view/*/templates/' . $ref[2])) {
                $err($c['file'], "template $ref[1]::$ref[2] not found");
            }
        }
        if (preg_match('/ObjectManager::getInstance|pcntl_fork/', $src, $bad)) {
            $err($c['file'], "$bad[0] is not allowed in the glue");
        }
    }

    // i18n: every __('literal') of the module is translated
    $csv = "$dir/i18n/en_US.csv";
    $phrases = [];
    foreach (glob("$dir/{*,*/*,*/*/*,view/*/templates/*/*}.{php,phtml}", GLOB_BRACE) as $file) {
        preg_match_all("/__\('((?:[^'\\\\]|\\\\.)*)'/", (string) file_get_contents($file), $found);
        array_push($phrases, ...$found[1]);
    }
    $translated = is_file($csv) ? array_map(static fn ($row) => $row[0] ?? '', array_map('str_getcsv', file($csv))) : [];
    foreach (array_unique($phrases) as $phrase) {
        if (!in_array($phrase, $translated, true) && !str_starts_with($phrase, 'skus:')) {
            $err($csv, "missing phrase \"$phrase\"");
        }
    }
}

// system.xml <-> config.xml <-> Config.php <-> acl.xml
foreach (glob("$root/*/etc/adminhtml/system.xml") as $system) {
    $dir = dirname($system, 3);
    $doc = $xml($system);
    $config = $xml("$dir/etc/config.xml");
    $acl = $xml("$dir/etc/acl.xml");
    $aclIds = [];
    foreach ($acl?->getElementsByTagName('resource') ?? [] as $r) {
        $aclIds[] = $r->getAttribute('id');
    }
    $fields = [];
    foreach ($doc?->getElementsByTagName('section') ?? [] as $section) {
        $resource = $section->getElementsByTagName('resource')->item(0)?->textContent;
        if ($resource !== null && !in_array($resource, $aclIds, true)) {
            $err($system, "section resource $resource not in acl.xml");
        }
        foreach ($section->getElementsByTagName('group') as $group) {
            foreach ($group->getElementsByTagName('field') as $field) {
                $path = $section->getAttribute('id') . '/' . $group->getAttribute('id') . '/' . $field->getAttribute('id');
                $fields[] = $path;
                foreach (['source_model', 'backend_model'] as $model) {
                    $class = $field->getElementsByTagName($model)->item(0)?->textContent;
                    if ($class !== null && !$exists($class)) {
                        $err($system, "$path: $model $class unknown");
                    }
                }
                $xpath = new DOMXPath($config);
                $hasDefault = $config !== null && $xpath->query('/config/default/' . $path)->length > 0;
                $isFileOrSecret = preg_match('/_file$|token$/', $field->getAttribute('id'));
                if (!$hasDefault && !$isFileOrSecret) {
                    $err("$dir/etc/config.xml", "no default for $path");
                }
            }
        }
    }
    foreach (glob("$dir/Model/*.php") as $model) {
        $src = (string) file_get_contents($model);
        if (preg_match("/PREFIX = '([^']+)'/", $src, $prefix)) {
            preg_match_all("/(?:value|getValue|isSetFlag)\((?:self::PREFIX \. )?'([a-z_]+)'/", $src, $keys);
            foreach (array_unique($keys[1]) as $key) {
                if (!in_array($prefix[1] . $key, $fields, true)) {
                    $err($model, "reads {$prefix[1]}$key, not a field of system.xml");
                }
            }
        }
    }
    foreach (glob("$dir/etc/di.xml") as $di) {
        preg_match_all('/<item name="([a-z_]+\/[a-z_]+\/[a-z_]+)"/', (string) file_get_contents($di), $paths);
        foreach ($paths[1] as $path) {
            if (!in_array($path, $fields, true)) {
                $err($di, "TypePool path $path is not a field of system.xml");
            }
        }
    }
}

// GraphQL resolvers named in the schema
foreach (array_slice($argv, 2) as $resolver) {
    $c = $classes[$resolver] ?? null;
    $role = $c !== null && in_array(ROLES['batch_resolver'][0], $c['implements'], true) ? 'batch_resolver' : 'resolver';
    $requireRole('schema.graphqls', $resolver, $role);
}

foreach ($errors as $error) {
    echo $error, "\n";
}
echo count($modules), ' modules, ', count($classes), ' classes checked, ', count($errors), " problems\n";
exit($errors === [] ? 0 : 1);
